import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { buildRelease, type ReleaseOptions } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { SandboxHost, type HostOptions } from '../../sandbox/host.js';
import { startGlr, startWatch, type Watching } from './glr.js';

export interface Sandbox {
  server: ReleaseServer;
  host: SandboxHost;
  /** builds a release and publishes it on the fake bucket */
  publish(o: ReleaseOptions): Promise<Buffer>;
  cleanup(): Promise<void>;
}

/** A release server and a runbook host running v0.4.3 (healthy), torn down by cleanup(). */
export async function createSandbox(o: Partial<Omit<HostOptions, 'server'>> = {}): Promise<Sandbox> {
  const server = await startReleaseServer();
  let host: SandboxHost;
  try {
    host = await SandboxHost.create({ server, ...o });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    server,
    host,
    async publish(r) {
      const tarball = await buildRelease(r);
      server.add(r.version, tarball);
      return tarball;
    },
    async cleanup() {
      await host.cleanup();
      await server.close();
    },
  };
}

/**
 * A sandbox and a `glr watch` for each test of a file, taken down after each test whatever its
 * outcome: the watcher first (killed), then the sandbox. Called once, at the top of the file.
 */
export function sandboxEachTest(): {
  sandbox(o?: Parameters<typeof createSandbox>[0]): Promise<Sandbox>;
  watch(...args: Parameters<typeof startWatch>): Watching;
} {
  let sb: Sandbox | undefined;
  let watching: Watching | undefined;
  afterEach(async () => {
    await watching?.stop('SIGKILL');
    watching = undefined;
    await sb?.cleanup();
    sb = undefined;
  });
  return {
    async sandbox(o) {
      sb = await createSandbox(o);
      return sb;
    },
    watch: (...args) => (watching = startWatch(...args)),
  };
}

/**
 * `glr reconcile` to `version` (a release whose GenVM setup takes `setupMs`), returned once its
 * preparation has begun: the node still runs the old version, nothing is switched yet.
 */
export async function startPreparing(s: Sandbox, version: string, setupMs: number): Promise<ReturnType<typeof startGlr> & { file: string }> {
  await s.publish({ version, setupMs });
  const file = s.host.writeDesired({ version });
  const run = startGlr(['reconcile', '-f', file]);
  await waitFor(() => existsSync(path.join(s.host.root, version, '.glr-preparing')), { timeoutMs: 30_000, what: `the preparation of ${version}` });
  return { ...run, file };
}

const OBSERVER_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/sandbox/link-observer.js');

export interface ObserverReport {
  samples: number;
  splitCount: number;
  splits: string[][];
  versionsSeen: string[];
}

/** Starts a second process that resolves the links every few ms; stop() returns what it saw. */
export async function observeLinks(root: string, dir: string, names?: string[]): Promise<{ stop(): Promise<ObserverReport>; sawSplit(): boolean }> {
  const out = path.join(dir, `observer-${process.pid}-${Date.now()}.json`);
  const child = spawn(process.execPath, [OBSERVER_JS, root, out, ...(names ?? [])], { stdio: 'ignore' });
  await waitFor(() => existsSync(`${out}.ready`), { timeoutMs: 10_000, what: 'the link observer to start' });
  return {
    sawSplit: () => existsSync(`${out}.split`),
    async stop() {
      child.kill('SIGTERM');
      await waitFor(() => existsSync(out), { timeoutMs: 10_000, what: 'the link observer report' });
      return JSON.parse(readFileSync(out, 'utf8')) as ObserverReport;
    },
  };
}

/** The phase the switch journal ({root}/.glr/journal.json) records, or null when there is none (or it cannot be read). */
export function journalPhase(s: Sandbox): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(s.host.root, '.glr/journal.json'), 'utf8')) as { phase: string }).phase;
  } catch {
    return null;
  }
}
