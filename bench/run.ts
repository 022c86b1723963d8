/**
 * `npm run bench [-- --rounds N] [--quick] [--out FILE] [--json FILE]`: every figure of docs/benchmarks.md in one
 * run, on sandbox hosts, with glr at its default settings, each beside its counterpart (the
 * runbook scripted, the physical floor, the node's own restart, an outside prober), and
 * docs/benchmarks.md written from that run (nothing in it typed by hand).
 *
 * One module per measurement (bench/measure/), shared helpers in bench/lib/, the document in
 * bench/report.ts. A measurement that fails is reported as failed in the document; the others
 * still run. --quick: small releases and few rounds, for working on the bench itself (its
 * document goes to stdout only unless --out is given). --json FILE keeps the raw results;
 * --from FILE writes the document again from them, measuring nothing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { now, say } from './lib/clock.js';
import { fsCost, watchLoad } from './lib/machine.js';
import { parseOptions, releaseTimings, setUp } from './lib/fixtures.js';
import { REPO } from './lib/glr.js';
import { dieOnStart } from './measure/die-on-start.js';
import { downtime } from './measure/downtime.js';
import { endToEnd } from './measure/end-to-end.js';
import { floor } from './measure/floor.js';
import { healthLatency } from './measure/health-latency.js';
import { memory } from './measure/memory.js';
import { noop } from './measure/noop.js';
import { pageCache } from './measure/page-cache.js';
import { prepareAhead } from './measure/prepare-ahead.js';
import { watchLatency } from './measure/watch.js';
import { report, type Results } from './report.js';

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** TypeScript sources newer than their build: the bench would measure stale code (run the build). */
function staleBuild(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(REPO, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const js = path.join(REPO, 'dist', p.replace(/\.ts$/, '.js'));
        let built = 0;
        try {
          built = statSync(js).mtimeMs;
        } catch {
          // never built
        }
        if (statSync(path.join(REPO, p)).mtimeMs > built) out.push(p);
      }
    }
  };
  for (const dir of ['src', 'sandbox', 'bench']) walk(dir);
  return out;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.from) {
    const saved = JSON.parse(readFileSync(o.from, 'utf8')) as Results;
    const md = report({ ...saved, date: new Date(saved.date) });
    if (o.out) writeFileSync(o.out, md);
    process.stdout.write(md);
    return;
  }
  const stale = staleBuild();
  if (stale.length) throw new Error(`the build is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ' ...' : ''}: run \`npm run build\` first`);
  const t0 = now();
  const r: Results = {
    o,
    date: new Date(),
    durationMs: 0,
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      cores: os.cpus().length,
      memGiB: os.totalmem() / 2 ** 30,
      node: process.version,
      kernel: os.release(),
      commit: git(['rev-parse', '--short', 'HEAD']),
      dirty: git(['status', '--porcelain', '--', 'src', 'sandbox']) !== '',
    },
    timings: releaseTimings(),
    failures: {},
  };
  const load = watchLoad();
  const f = await setUp(o);
  r.releaseSource = f.releaseSource;
  r.fs = { ...f.prepared, end: null };
  /** runs one measurement; a failure is recorded for the document and the bench goes on */
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t = now();
    say(`${name}...`);
    try {
      const v = await fn();
      say(`${name}: done in ${((now() - t) / 1000).toFixed(1)} s`);
      return v;
    } catch (e) {
      r.failures[name] = e instanceof Error ? e.message : String(e);
      say(`${name}: FAILED: ${r.failures[name]}`);
      return undefined;
    }
  };
  try {
    r.tarballs = { big: f.tarballs.big.length, mid: f.tarballs.mid.length };
    r.e2e = await step('end to end (figures 1, 4, 5)', () => endToEnd(f));
    const rates = r.e2e?.rates ?? [
      { name: `${o.rateBps / 2 ** 20} MiB/s`, bps: o.rateBps },
      { name: 'unthrottled', bps: null },
    ];
    if (r.e2e) {
      r.latency = healthLatency(r.e2e);
      r.downtime = downtime(r.e2e);
    }
    r.floor = await step('download + extract floor (figure 2)', () => floor(f, rates, o.quick ? 2 : 3));
    r.memory = await step('peak RSS at the smaller size (figure 3)', () => memory(f, rates));
    r.die = await step('a release that dies on start (figure 6)', () => dieOnStart(f));
    r.noop = await step('no-op cost (figure 7)', () => noop(f));
    r.pageCache = await step('page cache (figure 8)', () => pageCache(f));
    r.watch = await step('glr watch (figure 9)', () => watchLatency(f));
    r.prepareAhead = await step('prepareAhead', () => prepareAhead(f));
    r.fs.end = fsCost(f.scratch);
  } finally {
    r.load = load.stop();
    await f.close();
  }
  r.durationMs = now() - t0;
  if (o.json) writeFileSync(o.json, `${JSON.stringify(r)}\n`);
  const md = report(r);
  const out = o.out || (o.quick ? '' : path.join(REPO, 'docs/benchmarks.md'));
  if (out) {
    writeFileSync(out, md);
    say(`wrote ${out}`);
  }
  process.stdout.write(md);
  say(`bench done in ${(r.durationMs / 60_000).toFixed(1)} min${Object.keys(r.failures).length ? `; FAILED: ${Object.keys(r.failures).join(', ')}` : ''}`);
  if (Object.keys(r.failures).length) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
