/**
 * What the measurements share: the bench's options, the fake bucket(s) with the releases, fresh
 * sandbox hosts (runbook layout, v0.4.3 running, glr never run there), the service commands.
 *
 * The real-size releases are built like GenLayer's (sandbox/big-release.ts: this machine's own
 * ELF binaries, GNU tar + gzip), because what a release's bytes are decides how fast they inflate.
 *
 * Every host of a run lives in one scratch folder, prepared so that the filesystem and the memory
 * behave as on a validator host rather than as on a machine that has just deleted thousands of
 * files, or has never used most of its memory (bench/lib/machine.ts: prepareScratch).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBigRelease } from '../../sandbox/big-release.js';
import { SandboxHost } from '../../sandbox/host.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { buildRelease, SVC_JS, writeReleaseTree } from '../../sandbox/releases.js';
import { say } from './clock.js';
import { startBucketProcess } from './bucket.js';
import { emptyTree, prepareScratch, type Scratch } from './machine.js';
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
    rateBps: 100 * MiB,
    idleMs: quick ? 400 : 1000,
    noopRuns: quick ? 4 : 20,
    fewRounds: quick ? 1 : 3,
    watchSaves: quick ? 3 : 10,
    watchApplies: quick ? 1 : 4,
  };
}

/**
 * What the real-size releases' node does with connections while it boots: it accepts them and
 * never answers those it accepted before it was ready, the hardest of the behaviours for a
 * verification to see through (sandbox/fake-node.ts).
 */
export const BENCH_EARLY = { connections: 'never' } as const;

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
  /** where the real-size release's binaries came from (sandbox/big-release.ts) */
  releaseSource: string;
  /** where every host of this run lives (removed by close()), and how it was prepared */
  scratch: string;
  prepared: Scratch;
  close(): Promise<void>;
}

/** the folder every host of this run is created in (set by setUp) */
let scratch: string | null = null;

export async function setUp(o: Options): Promise<Fixtures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-bench-'));
  scratch = dir;
  const prepared = prepareScratch(dir);
  // the real-size releases' bucket in a process of its own (bench/bucket.ts), as the prober is
  const big = await startBucketProcess();
  const small = await startReleaseServer();
  say(`building the ${o.bigBytes / MiB} MiB and ${o.midBytes / MiB} MiB releases from this machine's ELF binaries`);
  const built = (version: string, bytes: number) => {
    const out = path.join(dir, `${version}.tar.gz`);
    const r = buildBigRelease({ version, binaryBytes: bytes, out, early: BENCH_EARLY });
    return { tarball: readFileSync(out), source: r.source };
  };
  let bigBuilt: ReturnType<typeof built>;
  let tarballs: { big: Buffer; mid: Buffer };
  try {
    bigBuilt = built(NEW, o.bigBytes);
    tarballs = { big: bigBuilt.tarball, mid: built(MID, o.midBytes).tarball };
    big.add(NEW, tarballs.big);
    big.add(MID, tarballs.mid);
    small.add(NEW, await buildRelease({ version: NEW, padBytes: MiB }));
    small.add(DIES, await buildRelease({ version: DIES, mode: 'die-on-start' }));
    // the bucket hashes what it is given before it serves anything after: not in the first round
    await big.settled();
  } catch (e) {
    // the bucket's process would keep the bench alive through its IPC channel
    await Promise.all([big.close(), small.close()]);
    throw e;
  }
  return {
    o,
    big,
    small,
    tarballs,
    releaseSource: bigBuilt.source,
    scratch: dir,
    prepared,
    async close() {
      await big.close();
      await small.close();
      scratch = null;
      rmSync(dir, { recursive: true, force: true });
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
  const under = parent ?? scratch;
  return SandboxHost.create({ server, ...(under ? { parent: under } : {}) });
}

/** The sandbox's service manager, as `systemctl VERB genlayer-node` would be run. */
export function svc(host: SandboxHost, verb: 'start' | 'stop'): Promise<Ran> {
  return runOk([process.execPath, SVC_JS, verb, '--root', host.root, '--state', host.state]);
}

/** Sets (or lifts, with null) the big bucket's throttle for every release it serves. */
export function throttle(f: Fixtures, bps: number | null): void {
  for (const v of [NEW, MID]) f.big.fault(v, bps === null ? null : { kind: 'throttle', bytesPerSecond: bps });
}

/**
 * Done with a host: its nodes stopped, its files emptied and left in place until the run's end
 * (close() removes the scratch folder; machine.ts says why they are not deleted now).
 */
export async function retire(host: SandboxHost): Promise<void> {
  await host.stopNodes();
  emptyTree(host.dir);
}

/** Runs one measurement with a fresh host, always retiring it. */
export async function withHost<T>(server: ReleaseServer, fn: (host: SandboxHost) => Promise<T>, parent?: string): Promise<T> {
  const host = await freshHost(server, parent);
  try {
    return await fn(host);
  } finally {
    await retire(host);
  }
}
