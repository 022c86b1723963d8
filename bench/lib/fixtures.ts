/**
 * What the measurements share: the bench's options, the fake bucket(s) with the releases, fresh
 * sandbox hosts (runbook layout, v0.4.3 running, glr never run there), the service commands.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxHost } from '../../sandbox/host.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { buildRelease, SVC_JS, writeReleaseTree } from '../../sandbox/releases.js';
import { say } from './clock.js';
import { runOk, type Ran } from './proc.js';
import { MiB } from './stats.js';

export interface Options {
  /** rounds of the end-to-end comparison (each: runbook and glr, at each rate) */
  rounds: number;
  quick: boolean;
  out: string;
  /** also write the raw results (JSON) here */
  json: string;
  /** no measuring: write the document from raw results saved by an earlier run's --json */
  from: string;
  /** the real-size release: bytes of binaries (filler) */
  bigBytes: number;
  /** the smaller release for the memory comparison */
  midBytes: number;
  /** the share of the filler that is random (the rest gzips ~7:1): ~115 MB of tarball for 300 MiB */
  randomShare: number;
  /** the throttled bucket's rate */
  rateBps: number;
  /** how long the prober watches the idle old node before each update */
  idleMs: number;
  /** runs of each no-op command */
  noopRuns: number;
  /** rounds of the smaller figures (memory at the smaller size, die-on-start, page cache) */
  fewRounds: number;
  watchSaves: number;
  watchApplies: number;
}

export function parseOptions(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const rounds = Number(get('--rounds') ?? (quick ? 1 : 5));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds wants a positive integer, not ${get('--rounds')}`);
  return {
    rounds,
    quick,
    out: get('--out') ?? '',
    json: get('--json') ?? '',
    from: get('--from') ?? '',
    bigBytes: quick ? 24 * MiB : 300 * MiB,
    midBytes: quick ? 8 * MiB : 100 * MiB,
    randomShare: 0.26,
    rateBps: 100 * MiB,
    idleMs: quick ? 400 : 1000,
    noopRuns: quick ? 4 : 20,
    fewRounds: quick ? 1 : 3,
    watchSaves: quick ? 3 : 10,
    watchApplies: quick ? 1 : 4,
  };
}

/** Versions: v0.4.3 runs on every fresh host; the others are what it is updated to. */
export const OLD = 'v0.4.3';
/** the real-size release (big bucket) or a small one (small bucket) */
export const NEW = 'v0.4.5';
/** the smaller big release (memory at 100 MiB) */
export const MID = 'v0.4.4';
/** a release that dies on start (small bucket) */
export const DIES = 'v0.4.6';

export interface Fixtures {
  o: Options;
  /** the real-size releases: NEW (bigBytes), MID (midBytes) */
  big: ReleaseServer;
  /** small releases: NEW (1 MiB), DIES */
  small: ReleaseServer;
  tarballs: { big: Buffer; mid: Buffer };
  close(): Promise<void>;
}

export async function setUp(o: Options): Promise<Fixtures> {
  const big = await startReleaseServer();
  const small = await startReleaseServer();
  say(`building the ${o.bigBytes / MiB} MiB and ${o.midBytes / MiB} MiB releases (${Math.round(o.randomShare * 100)} % random filler)`);
  const tarballs = {
    big: await buildRelease({ version: NEW, padBytes: o.bigBytes, padRandomShare: o.randomShare }),
    mid: await buildRelease({ version: MID, padBytes: o.midBytes, padRandomShare: o.randomShare }),
  };
  big.add(NEW, tarballs.big);
  big.add(MID, tarballs.mid);
  small.add(NEW, await buildRelease({ version: NEW, padBytes: MiB }));
  small.add(DIES, await buildRelease({ version: DIES, mode: 'die-on-start' }));
  return {
    o,
    big,
    small,
    tarballs,
    async close() {
      await big.close();
      await small.close();
    },
  };
}

/** The sandbox release's configured timings (the fake node's and GenVM setup's), or null if unreadable. */
export function releaseTimings(): { bootMs: number; syncMs: number; stopMs: number; setupMs: number } | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-bench-spec-'));
  try {
    writeReleaseTree(dir, { version: NEW });
    const node = JSON.parse(readFileSync(path.join(dir, 'bin/fake-node.json'), 'utf8')) as { bootMs: number; syncMs: number; stopMs: number };
    const setup = JSON.parse(readFileSync(path.join(dir, 'third_party/genvm/bin/setup.json'), 'utf8')) as { setupMs: number };
    return { bootMs: node.bootMs, syncMs: node.syncMs, stopMs: node.stopMs, setupMs: setup.setupMs };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh host as the runbook leaves one: v0.4.3 (small) running healthy, glr never run. */
export function freshHost(server: ReleaseServer, parent?: string): Promise<SandboxHost> {
  return SandboxHost.create({ server, ...(parent ? { parent } : {}) });
}

/** The sandbox's service manager, as `systemctl VERB genlayer-node` would be run. */
export function svc(host: SandboxHost, verb: 'start' | 'stop'): Promise<Ran> {
  return runOk([process.execPath, SVC_JS, verb, '--root', host.root, '--state', host.state]);
}

/** Sets (or lifts, with null) the big bucket's throttle for every release it serves. */
export function throttle(f: Fixtures, bps: number | null): void {
  for (const v of [NEW, MID]) f.big.fault(v, bps === null ? null : { kind: 'throttle', bytesPerSecond: bps });
}

/** Runs one measurement with a fresh host, always cleaning it up. */
export async function withHost<T>(server: ReleaseServer, fn: (host: SandboxHost) => Promise<T>, parent?: string): Promise<T> {
  const host = await freshHost(server, parent);
  try {
    return await fn(host);
  } finally {
    await host.cleanup();
  }
}
