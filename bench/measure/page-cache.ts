/**
 * 8. Page cache: does a start read its files from disk? On a host glr has
 * updated to the real-size release (unthrottled bucket), the node is stopped and started again,
 * each time with the version folder's files either read once just before the start (warm, what a
 * read-ahead before the stop would give) or evicted (cold: `sync; echo 3 >
 * /proc/sys/vm/drop_caches`, root only). Before a cold start the Node runtime and the sandbox's
 * own scripts are read back in (`node -e 0`, the service script), so that only the release's
 * files are cold. Measured: start issued → first healthy answer (the outside prober).
 *
 * Whether the fake node in this tree reads its release files at start is measured, not assumed:
 * the bytes the node process read (`rchar` of /proc/PID/io) once healthy.
 */
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { FAKE_NODE_JS, SVC_JS } from '../../sandbox/releases.js';
import type { SandboxHost } from '../../sandbox/host.js';
import { now, sleep } from '../lib/clock.js';
import { NEW, svc, throttle, withHost, type Fixtures } from '../lib/fixtures.js';
import { glr } from '../lib/glr.js';
import { runOk } from '../lib/proc.js';
import { Prober } from '../lib/prober.js';

export interface PageCache {
  /** null when the page cache could not be dropped (not root) */
  cold: number[] | null;
  warm: number[];
  /** bytes the node process read by the time it was healthy (median), and the release's size */
  nodeReadBytes: number;
  releaseBytes: number;
  skipped?: string;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Reads every file once, discarding the bytes: the release into the page cache. */
async function readAll(files: string[]): Promise<number> {
  let bytes = 0;
  for (const f of files) {
    await pipeline(
      createReadStream(f, { highWaterMark: 1024 * 1024 }),
      new Writable({
        write(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          done();
        },
      }),
    );
  }
  return bytes;
}

async function dropCaches(): Promise<boolean> {
  try {
    await runOk(['sync']);
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

function readBytes(host: SandboxHost): number {
  try {
    const pid = Number(readFileSync(path.join(host.state, 'node.pid'), 'utf8'));
    const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export async function pageCache(f: Fixtures): Promise<PageCache> {
  throttle(f, null);
  return withHost(f.big, async (host) => {
    const r = await glr(['reconcile', '--json', '-f', host.writeDesired({ version: NEW, timeoutSeconds: 120 })]);
    if (r.code !== 0) throw new Error(`glr reconcile to ${NEW} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
    // the version folder's own files (data/ holds links to the shared DB and the node's log)
    const files = filesUnder(path.join(host.root, NEW)).filter((p) => !p.includes('/data/'));
    const releaseBytes = files.reduce((s, p) => s + statSync(p).size, 0);
    const p = await Prober.start(host.healthUrl);
    const cold: number[] = [];
    const warm: number[] = [];
    const reads: number[] = [];
    let canDrop = true;
    try {
      for (let i = 0; i < f.o.fewRounds; i++) {
        for (const mode of ['cold', 'warm'] as const) {
          if (mode === 'cold' && !canDrop) continue;
          await svc(host, 'stop');
          if (mode === 'cold') {
            canDrop = await dropCaches();
            if (!canDrop) continue;
            // the runtime and the sandbox's scripts back in: only the release stays cold
            await runOk([process.execPath, '-e', '0']);
            await readAll([SVC_JS, FAKE_NODE_JS, path.join(path.dirname(FAKE_NODE_JS), 'proc.js'), host.statusScript]);
          } else {
            await readAll(files);
          }
          const t0 = now();
          await svc(host, 'start');
          const healthy = await p.healthyOn(NEW, t0, 120_000);
          (mode === 'cold' ? cold : warm).push(healthy.at - t0);
          reads.push(readBytes(host));
          await sleep(100);
        }
      }
    } finally {
      await p.stop();
    }
    reads.sort((a, b) => a - b);
    return { cold: canDrop ? cold : null, warm, nodeReadBytes: reads[Math.floor(reads.length / 2)] ?? NaN, releaseBytes };
  });
}
