/**
 * The one assertion every hostile-host test makes: glr refused (exit 1) with exactly one clear
 * `glr: ...` line, no stack trace, no secret, and the host is as it was: the node healthy on the
 * version it ran, the links resolving where they did, every file under the root unchanged, no
 * folder of the refused version and no staging folder left.
 */
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { SandboxHost } from '../../sandbox/host.js';
import { errorLines, hasStackTrace, leakedSecrets, runGlr, type GlrRun } from './glr.js';

export interface HostSnapshot {
  links: Record<string, string | null>;
  tree: string[];
}

/**
 * The root's tree: every file, folder and link with its mode, size and raw target, but glr's own
 * bookkeeping folder `.glr/` (a lock, the history). A refusal before the switch leaves all of it
 * as it was, byte for byte: on a host laid out by hand no `current` appears, no link is
 * re-routed and no adoption marker is written (promise 8).
 */
export function snapshot(host: SandboxHost): HostSnapshot {
  return { links: host.linkTargets(), tree: host.tree().filter((l) => !l.startsWith('.glr')) };
}

export function stagingLeft(host: SandboxHost): string[] {
  const dir = path.join(host.root, '.glr/staging');
  return existsSync(dir) ? readdirSync(dir) : [];
}

export interface RefusalExpectation {
  /** what the one error line must say */
  line: RegExp;
  /** the version that must still run healthy (default v0.4.3) */
  running?: string;
  /** the version that was refused: no folder of it may be left (default v0.4.5) */
  refused?: string | null;
  /** the state before the run; default: taken now, before running */
  before?: HostSnapshot;
  /**
   * a version glr prepared and kept before the refusal (refused after its preparation: the
   * doctor, hooks.preSwitch): its folder is not compared with the state before
   */
  kept?: string;
  /** the dry-run: 'same' refuses with the same line, 'pending' exits 2 (found only when applying) */
  dryRun?: 'same' | 'pending' | 'skip';
  env?: Record<string, string>;
}

/** Runs `reconcile -f file` (and its dry-run) and asserts the refusal; returns the real run. */
export async function expectRefusal(host: SandboxHost, file: string, x: RefusalExpectation): Promise<GlrRun> {
  const running = x.running ?? 'v0.4.3';
  const refused = x.refused === undefined ? 'v0.4.5' : x.refused;
  const before = x.before ?? snapshot(host);
  const opts = x.env ? { env: x.env } : {};

  if ((x.dryRun ?? 'pending') !== 'skip') {
    const dry = await runGlr(['reconcile', '--dry-run', '-f', file], opts);
    expect(leakedSecrets(dry.stdout, dry.stderr), 'secrets in the dry-run output').toEqual([]);
    expect(hasStackTrace(dry), dry.stderr).toBe(false);
    if (x.dryRun === 'same') {
      expect(dry.code, dry.stdout + dry.stderr).toBe(1);
      expect(errorLines(dry), dry.stderr).toHaveLength(1);
      expect(errorLines(dry)[0]).toMatch(x.line);
    } else if (x.dryRun !== 'skip') {
      expect(dry.code, dry.stdout + dry.stderr).toBe(2);
    }
    expect(snapshot(host), 'the dry-run changed the host').toEqual(before);
  }

  const r = await runGlr(['reconcile', '-f', file], opts);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const lines = errorLines(r);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(x.line);
  // GLR_HOSTILE_LINES=FILE collects the lines operators would read (for docs and reviews)
  if (process.env.GLR_HOSTILE_LINES) appendFileSync(process.env.GLR_HOSTILE_LINES, `${lines[0]}\n`);
  expect(hasStackTrace(r), r.stderr).toBe(false);
  expect(leakedSecrets(r.stdout, r.stderr), 'secrets in the output').toEqual([]);
  expect(r.stdout).toBe('');

  expect(await host.healthyOn(running), `the node is no longer healthy on ${running}`).toBe(true);
  // (a test that removed a file of the running version leaves its link dangling, as it was)
  expect(host.linkVersions().filter((v) => v !== 'dangling')).toEqual([running]);
  expect(host.linkTargets()).toEqual(before.links);
  const outside = (tree: string[]) => (x.kept ? tree.filter((l) => !l.startsWith(`${x.kept} dir `) && !l.startsWith(`${x.kept}/`)) : tree);
  expect(outside(snapshot(host).tree)).toEqual(outside(before.tree));
  if (refused) expect(existsSync(path.join(host.root, refused)), `${refused} was left behind`).toBe(false);
  expect(stagingLeft(host), 'a staging folder was left behind').toEqual([]);
  return r;
}
