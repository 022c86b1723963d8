/**
 * 7. What a no-op costs: `glr reconcile` and `glr reconcile --dry-run` on a converged host (one glr
 * itself updated: its steady state), wall time and peak RSS over N runs each, interleaved with
 * `node -e 0` and `glr --help` (the floor of any Node CLI, and glr's own start-up).
 *
 * And where the no-op's time goes, for whoever cuts it:
 * - what it loads: every module file of one no-op, by package, with its bytes of JavaScript (an
 *   ES loader hook and the require cache, bench/trace/);
 * - what each dependency costs to import on its own: a fresh `node` that imports only it (ms inside
 *   the process, and the peak RSS above `node -e 0`);
 * - a CPU profile of the no-op (`node --cpu-prof`), self time by where the code lives: glr's
 *   folders, each package, Node's module loader, GC, and idle (waiting on the status command and
 *   /health).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NEW, withHost, type Fixtures } from '../lib/fixtures.js';
import { GLR, REPO, glr } from '../lib/glr.js';
import { defaultEnv, run, runOk, type Ran } from '../lib/proc.js';
import { median } from '../lib/stats.js';

export const DEPENDENCIES = ['undici', 'yaml', 'zod', 'execa', 'pino', 'pino-pretty', 'tar', 'chokidar', '@node-rs/crc32'];

export interface Noop {
  runs: number;
  /** per command: wall ms and peak RSS KiB of each run */
  commands: Record<string, { ms: number[]; rssKb: number[]; codes: number[] }>;
  /** the no-op's loaded module files: per package (or glr folder), files and bytes */
  loaded: Record<string, { files: number; bytes: number }>;
  /** per dependency imported alone: median ms inside the process, median peak RSS above node -e 0 (KiB) */
  imports: { name: string; ms: number; rssKb: number }[];
  /** glr's reconcile command module (its static import graph) imported alone */
  reconcileModule: { ms: number; rssKb: number };
  /** CPU profile of the no-op: self ms by place (median over the profiled runs), and the profile's span */
  profile: { byPlace: Record<string, number>; spanMs: number; runs: number };
}

const TRACE_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../trace/preload.js');

/** "undici", "@aws-crypto/crc32c", "glr src/observe", "node:internal" ... for a module path or URL */
export function place(url: string): string {
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'Node: module loader';
  if (url.startsWith('node:')) return 'Node: built-ins';
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const inDist = path.relative(path.join(REPO, 'dist/src'), file);
  // the bundle's source maps name the TypeScript sources
  const src = inDist.startsWith('..') ? path.relative(path.join(REPO, 'src'), file) : inDist;
  if (!src.startsWith('..')) {
    const dir = path.dirname(src);
    return `glr src/${dir === '.' ? path.basename(src) : dir.split('/')[0]}`;
  }
  if (!file) return '(native)';
  const scheme = /^([a-z]+):/.exec(file)?.[1];
  return scheme ? `other (${scheme}:)` : 'other';
}

async function loadedModules(file: string): Promise<Noop['loaded']> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-bench-trace-'));
  const trace = path.join(dir, 'trace');
  try {
    await runOk([process.execPath, '--import', TRACE_PRELOAD, GLR, 'reconcile', '-f', file], { env: defaultEnv({ BENCH_IMPORT_TRACE: trace }), cwd: REPO });
    const files = new Set(
      readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(4))
        .map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u))
        .filter((f) => !f.startsWith(path.dirname(TRACE_PRELOAD))),
    );
    const out: Noop['loaded'] = {};
    const meta = bundleMeta();
    for (const f of files) {
      // a chunk of the bundled CLI counts for the sources esbuild put into it
      const inputs = meta?.outputs[path.relative(REPO, f)]?.inputs;
      if (inputs) {
        for (const [src, i] of Object.entries(inputs)) {
          const e = (out[place(path.resolve(REPO, src))] ??= { files: 0, bytes: 0 });
          e.files += 1;
          e.bytes += i.bytesInOutput;
        }
        continue;
      }
      const k = place(f);
      const e = (out[k] ??= { files: 0, bytes: 0 });
      e.files += 1;
      try {
        e.bytes += statSync(f).size;
      } catch {
        // gone
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** esbuild's metafile of the bundled CLI (scripts/bundle.mjs), or null without one. */
function bundleMeta(): { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> } | null {
  try {
    return JSON.parse(readFileSync(path.join(REPO, 'dist/bin/meta.json'), 'utf8')) as ReturnType<typeof bundleMeta>;
  } catch {
    return null;
  }
}

/** The original source of a position in a bundled chunk, through the chunk's source map. */
function originalSource(): (url: string, line: number, column: number) => string {
  const maps = new Map<string, SourceMap | null>();
  return (url, line, column) => {
    if (!url.startsWith('file:') || !url.includes('/dist/bin/')) return url;
    let map = maps.get(url);
    if (map === undefined) {
      try {
        const file = fileURLToPath(url);
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        map = null;
      }
      maps.set(url, map);
    }
    const hit = map?.findEntry(line, column) as { originalSource?: string } | undefined;
    return hit?.originalSource ? path.resolve(path.dirname(fileURLToPath(url)), hit.originalSource.replace(/^file:\/\//, '')) : url;
  };
}

/** A fresh node that imports `what` and says how long the import took inside it. */
async function importAlone(what: string, reps: number, baseRssKb: number): Promise<{ ms: number; rssKb: number }> {
  const ms: number[] = [];
  const rss: number[] = [];
  const code = `const t = performance.now(); await import(${JSON.stringify(what)}); process.stdout.write(String(performance.now() - t));`;
  for (let i = 0; i < reps; i++) {
    const r = await runOk([process.execPath, '--input-type=module', '-e', code], { cwd: REPO, rss: true });
    ms.push(Number(r.stdout));
    rss.push(r.peakRssKb);
  }
  return { ms: median(ms), rssKb: median(rss) - baseRssKb };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const LOADING = 'Node: loading modules (resolve, read, compile)';

/**
 * Each sample's time goes to its innermost frame that says where the work is for: Node's module
 * loader (resolving, reading and compiling any module: that is the cost of loading it), or a
 * package's or glr's own code (its top-level evaluation included); natives and Node's other
 * built-ins count for whoever called them. Samples with no such frame keep V8's names: (garbage
 * collector), (program), (idle).
 */
function profileByPlace(p: CpuProfile): Record<string, number> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const source = originalSource();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const owner = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const leaf = byId.get(id)!.callFrame;
    let k: string | null = null;
    for (let cur: number | undefined = id; cur !== undefined && k === null; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame as { url: string; lineNumber?: number; columnNumber?: number };
      const url = frame.url;
      if (/^node:internal\/(modules|vm|bootstrap\/realm)/.test(url)) k = LOADING;
      else if (url && !url.startsWith('node:')) k = place(source(url, frame.lineNumber ?? 0, frame.columnNumber ?? 0));
    }
    k ??= /^\(.*\)$/.test(leaf.functionName) ? leaf.functionName : 'Node: other';
    owner.set(id, k);
    return k;
  };
  const out: Record<string, number> = {};
  p.samples.forEach((id, i) => {
    const k = ownerOf(id);
    out[k] = (out[k] ?? 0) + (p.timeDeltas[i] ?? 0) / 1000;
  });
  return out;
}

async function profile(file: string, runs: number): Promise<Noop['profile']> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-bench-prof-'));
  try {
    const per: Record<string, number>[] = [];
    const spans: number[] = [];
    for (let i = 0; i < runs; i++) {
      const d = path.join(dir, String(i));
      await runOk([process.execPath, '--cpu-prof', '--cpu-prof-dir', d, '--cpu-prof-interval', '200', GLR, 'reconcile', '-f', file], {
        env: defaultEnv(),
        cwd: REPO,
      });
      const f = readdirSync(d).find((n) => n.endsWith('.cpuprofile'));
      if (!f) continue;
      const p = JSON.parse(readFileSync(path.join(d, f), 'utf8')) as CpuProfile;
      per.push(profileByPlace(p));
      spans.push((p.endTime - p.startTime) / 1000);
    }
    const keys = new Set(per.flatMap((x) => Object.keys(x)));
    const byPlace = Object.fromEntries([...keys].map((k) => [k, median(per.map((x) => x[k] ?? 0))]));
    return { byPlace, spanMs: median(spans), runs: per.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function noop(f: Fixtures): Promise<Noop> {
  return withHost(f.small, async (host) => {
    const file = host.writeDesired({ version: NEW, timeoutSeconds: 60 });
    const first = await glr(['reconcile', '--json', '-f', file]);
    if (first.code !== 0) throw new Error(`glr reconcile to ${NEW} exited ${first.code}: ${first.stderr.trim().split('\n').at(-1)}`);
    const commands: Noop['commands'] = {};
    const add = (name: string, r: Ran) => {
      const c = (commands[name] ??= { ms: [], rssKb: [], codes: [] });
      c.ms.push(r.wallMs);
      c.rssKb.push(r.peakRssKb);
      c.codes.push(r.code ?? -1);
    };
    for (let i = 0; i < f.o.noopRuns; i++) {
      add('node -e 0', await run([process.execPath, '-e', '0'], { rss: true }));
      add('glr --help', await glr(['--help']));
      add('glr reconcile (converged)', await glr(['reconcile', '-f', file]));
      add('glr reconcile --dry-run (converged)', await glr(['reconcile', '--dry-run', '-f', file]));
    }
    const reps = f.o.quick ? 2 : 5;
    const base = median(commands['node -e 0']!.rssKb);
    const imports: Noop['imports'] = [];
    for (const name of DEPENDENCIES) imports.push({ name, ...(await importAlone(name, reps, base)) });
    const reconcileModule = await importAlone(path.join(REPO, 'dist/src/cli/commands/reconcile.js'), reps, base);
    return {
      runs: f.o.noopRuns,
      commands,
      loaded: await loadedModules(file),
      imports,
      reconcileModule,
      profile: await profile(file, reps),
    };
  });
}
