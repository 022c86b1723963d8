/**
 * docs/benchmarks.md, written from one run's results: every figure in it comes from `Results`;
 * the prose around them says how each was measured and what bounds it, never a number.
 */
import { BENCH_EARLY, type Options } from './lib/fixtures.js';
import { PROBE_EVERY_MS } from './lib/prober.js';
import type { FsCost, Load, Scratch } from './lib/machine.js';
import { fmt, max, MB, median, min, MiB, num, ratio, verdict } from './lib/stats.js';
import { table } from './lib/table.js';
import type { DieRound } from './measure/die-on-start.js';
import type { Downtime } from './measure/downtime.js';
import type { EndToEnd } from './measure/end-to-end.js';
import type { Floor } from './measure/floor.js';
import type { HealthLatency, LatencyFigure } from './measure/health-latency.js';
import type { Memory } from './measure/memory.js';
import type { Noop } from './measure/noop.js';
import type { PageCache } from './measure/page-cache.js';
import type { PrepareAhead } from './measure/prepare-ahead.js';
import type { Watch } from './measure/watch.js';

export interface Results {
  o: Options;
  date: Date;
  durationMs: number;
  machine: { cpu: string; cores: number; memGiB: number; node: string; kernel: string; commit: string; dirty: boolean };
  /** the sandbox release's configured timings (configuration, not measurements) */
  timings: { bootMs: number; syncMs: number; stopMs: number; setupMs: number } | null;
  tarballs?: { big: number; mid: number };
  /** where the real-size release's binaries came from */
  releaseSource?: string;
  /** the hosts' folder as prepared, and what its files cost at the start and at the end of the run */
  fs?: Scratch & { end: FsCost | null };
  load?: Load;
  e2e?: EndToEnd;
  floor?: Floor;
  memory?: Memory;
  latency?: HealthLatency;
  downtime?: Downtime;
  die?: DieRound[];
  noop?: Noop;
  pageCache?: PageCache;
  watch?: Watch;
  prepareAhead?: PrepareAhead;
  /** measurement → why it failed */
  failures: Record<string, string>;
}

/** what the fake node does with connections while it boots, in words */
const EARLY: Record<string, string> = {
  hold: 'accepts connections and answers them once booted',
  refuse: 'refuses connections',
  '503': 'answers 503 at once',
  never: 'accepts connections and never answers those it accepted before it was ready',
  late: 'answers each request only after a delay',
};

const mb = (bytes: number, digits = 1) => num(bytes / 1e6, digits);
const mib = (bytes: number) => num(bytes / MiB, 0);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${num(x * 100, 0)} %`;

export function report(r: Results): string {
  const { o, timings: t } = r;
  const rates = r.e2e?.rates.map((x) => x.name) ?? [];
  const throttled = rates[0] ?? `${o.rateBps / MiB} MiB/s`;
  const s: string[] = [];
  /** blocks (paragraphs, tables, headings), separated by blank lines in the document */
  const add = (...blocks: string[]) => s.push(...blocks.filter((b) => b !== ''));

  add(
    '# Benchmarks',
    `${o.quick ? '> This is a `--quick` run (small releases, one round): its figures only show that the bench works.' : '> Every figure below comes from this one run; none is typed by hand.'}`,
    `Written by \`npm run bench\` (bench/run.ts) from one run on ${r.date.toISOString().slice(0, 16).replace('T', ' ')} UTC that took ${num(r.durationMs / 60_000, 1)} min, glr at ${r.machine.commit || 'an unknown commit'}${r.machine.dirty ? ' with uncommitted changes to src/ or sandbox/' : ''}.`,
    machineNote(r),
    'glr runs as a user runs it: `node dist/bin/glr.js ...`, with no `GLR_*` variable in its environment (its default settings). ' +
      `Each update starts from a fresh sandbox host laid out by the runbook (v0.4.3 running under the fake node${t ? `, configured to take ${t.stopMs} ms to stop, ${t.bootMs} ms to boot and ${t.syncMs} ms to sync` : ''}; while it boots, the new node ${EARLY[BENCH_EARLY.connections]}; the service manager is a \`command\` one, as \`systemctl\` would be; the release's \`genlayernode version\`, which glr runs before it switches, is answered by its shell script in a few ms, as GenLayer's Go binary answers it, not by a Node process). ` +
      `An outside prober, a process of its own, sends GET /health every ${PROBE_EVERY_MS} ms, each request on a new connection and without waiting for the previous answer, and records each answer's time and latency.`,
    r.tarballs
      ? `The real-size release is built like GenLayer's: ${mib(o.bigBytes)} MiB of binaries taken from ${r.releaseSource ?? "this machine's ELF files"}, cut to a release's file sizes (a large library, four GenVM libraries, some hundreds of small files), packed by GNU tar and gzip: a ${mb(r.tarballs.big)} MB tarball (${num(r.tarballs.big / o.bigBytes, 2)} of the bytes it unpacks to; GenLayer's: about 110 MB for 300 MiB); the smaller one ${mib(o.midBytes)} MiB, ${mb(r.tarballs.mid)} MB.${t ? ` GenVM setup is configured to take ${t.setupMs} ms.` : ''} ` +
          `The fake bucket, a process of its own as a real bucket is another machine, serves them at ${throttled} (a token bucket on a 1 ms timer, writes waiting for drain) and unthrottled, with \`x-goog-hash\` (md5, crc32c).`
      : '',
    `Figures are milliseconds, median (min–max), over ${o.rounds} round(s) unless a row says otherwise.`,
  );

  const failed = [...Object.entries(r.failures).map(([k, v]) => `- **${k}**: ${v}`), ...(r.e2e?.errors ?? []).map((e) => `- **end to end**: ${e}`)];
  if (failed.length) add('## Failed measurements', failed.join('\n'));

  add('## Targets', summary(r, throttled));

  if (r.e2e) add(...endToEndSection(r.e2e));
  if (r.floor && r.e2e) add(...floorSection(r.floor, r.e2e));
  if (r.memory && r.e2e) add(...memorySection(r.memory, r.e2e, r));
  if (r.latency) add(...latencySection(r.latency));
  if (r.downtime && r.e2e) add(...downtimeSection(r.downtime));
  if (r.die) add(...dieSection(r.die));
  if (r.noop) add(...noopSection(r.noop));
  if (r.pageCache) add(...pageCacheSection(r.pageCache));
  if (r.watch) add(...watchSection(r.watch));
  if (r.prepareAhead) {
    const a = r.prepareAhead;
    add(
      '## Bump → healthy, with and without prepareAhead',
      `From \`glr bump ${'v0.4.5'}\` to the outside prober's first healthy answer on it, the real-size release at the throttled rate, under \`glr watch\` (ms, median (min–max), ${a.without.length} samples each): ` +
        `without prepareAhead ${fmt(a.without)}; with \`prepareAhead: patch\` (the release prepared ahead while the old node ran) ${fmt(a.with)}: **${ratio(a.with, a.without)}×**. ` +
        'What is left with it is the watcher noticing the file, the plan, the backup, the switch window and the new node booting and syncing.',
    );
  }
  return `${s.join('\n\n')}\n`;
}

function summary(r: Results, throttled: string): string {
  const rows: string[][] = [];
  const e = r.e2e;
  if (e) {
    for (const rate of e.rates.map((x) => x.name)) {
      const g = e.glr[rate]!.map((x) => x.toReturnMs);
      const rb = e.runbook[rate]!.map((x) => x.toHealthyMs);
      const v = median(g) / median(rb);
      rows.push([
        `end to end at ${rate}: glr / runbook`,
        `${num(v, 2)} (${num(median(g) / 1000, 2)} s / ${num(median(rb) / 1000, 2)} s); by round ${fmt(paired(g, rb), 2)}`,
        rate === throttled ? '≤ 0.7' : '—',
        rate === throttled ? verdict(v, (x) => x <= 0.7) : '',
      ]);
    }
  }
  if (r.floor && e) {
    for (const rate of e.rates.map((x) => x.name)) {
      const fl = floorMs(r.floor, rate);
      const gs = e.glr[rate]!.map((x) => x.downloadMs);
      const g = median(gs);
      rows.push([
        `download + extract at ${rate}: glr / floor`,
        `${num(g / fl, 2)} (${num(g, 0)} / ${num(fl, 0)} ms); by round ${fmt(
          gs.map((x) => x / fl),
          2,
        )}`,
        '≤ 1.1',
        verdict(g / fl, (x) => x <= 1.1),
      ]);
    }
  }
  if (e) {
    // the worst run of each size, at either rate: the target holds for every run
    const big = Object.values(e.glr)
      .flat()
      .map((x) => MB(x.peakRssKb));
    rows.push([
      `peak RSS, ${mib(r.o.bigBytes)} MiB release (max of all runs, both rates)`,
      `${num(max(big), 1)} MB`,
      '≤ 150 MB',
      verdict(max(big), (x) => x <= 150),
    ]);
    if (r.memory) {
      const mid = Object.values(r.memory.mid).flat().map(MB);
      rows.push([
        `peak RSS, ${mib(r.o.midBytes)} MiB release (max of all runs, both rates)`,
        `${num(max(mid), 1)} MB`,
        '≤ 150 MB',
        verdict(max(mid), (x) => x <= 150),
      ]);
      const growth = median(big) / median(mid) - 1;
      rows.push([
        `peak RSS, ${mib(r.o.bigBytes)} MiB vs ${mib(r.o.midBytes)} MiB release (medians of all runs)`,
        pct(growth),
        'within 10 %',
        verdict(growth, (x) => Math.abs(x) <= 0.1),
      ]);
    }
  }
  if (r.latency) {
    for (const [rate, fig] of Object.entries(r.latency.glr)) {
      const v = fig.p99 / r.latency.idle.p99;
      rows.push([
        `/health p99 during glr's preparation at ${rate} / idle`,
        `${num(v, 2)} (${num(fig.p99, 1)} / ${num(r.latency.idle.p99, 1)} ms)`,
        '≤ 2',
        verdict(v, (x) => x <= 2),
      ]);
    }
  }
  if (r.downtime) {
    rows.push([
      "glr's reported downtime − the prober's, largest |Δ|",
      `${num(r.downtime.maxAbsDelta, 0)} ms`,
      '≤ 50 ms',
      verdict(r.downtime.maxAbsDelta, (x) => x <= 50),
    ]);
    const g = r.downtime.rounds.map((x) => x.prober);
    const fl = r.downtime.rounds.map((x) => x.floor);
    const v = median(g) / median(fl);
    rows.push([
      "downtime (prober): glr / the node's own restart",
      `${num(v, 2)} (${num(median(g), 0)} / ${num(median(fl), 0)} ms)`,
      '≤ 1.05',
      verdict(v, (x) => x <= 1.05),
    ]);
  }
  if (r.die) {
    const seen = max(r.die.map((x) => x.seenDeadMs - x.diedMs));
    rows.push(['a release that dies on start: its death → glr sees it (max)', `${num(seen, 0)} ms`, '≤ 500 ms', verdict(seen, (x) => x <= 500)]);
  }
  if (r.noop) {
    for (const name of ['glr reconcile (converged)', 'glr reconcile --dry-run (converged)']) {
      const c = r.noop.commands[name];
      if (!c) continue;
      rows.push([`${name}: wall, median`, `${num(median(c.ms), 0)} ms`, '≤ 250 ms', verdict(median(c.ms), (x) => x <= 250)]);
      rows.push([`${name}: peak RSS, median`, `${num(MB(median(c.rssKb)), 0)} MB`, '≤ 80 MB', verdict(MB(median(c.rssKb)), (x) => x <= 80)]);
    }
  }
  return table(['figure', 'measured', 'target', ''], rows);
}

/** a[i] / b[i] for the rounds both sides have (rounds are interleaved: the i-th of each ran side by side) */
function paired(a: readonly number[], b: readonly number[]): number[] {
  return a.slice(0, Math.min(a.length, b.length)).map((x, i) => x / b[i]!);
}

function machineNote(r: Results): string {
  const m = r.machine;
  const l = r.load;
  const parts = [`The machine: ${m.cores} × ${m.cpu} (nproc ${m.cores}), ${num(m.memGiB, 0)} GiB, Linux ${m.kernel}, Node ${m.node}.`];
  if (l) {
    const others = Math.max(0, l.busyS - l.benchS);
    parts.push(
      `Its load average (1 min) through the run: median ${num(median(l.samples), 1)} (${num(min(l.samples), 1)}–${num(max(l.samples), 1)}, ${l.samples.length} samples). ` +
        `Its CPUs were busy ${num(l.busyS, 0)} of the ${num(l.wallS * m.cores, 0)} CPU-seconds the run lasted: the bench and the commands it waited for ${num(l.benchS, 0)}, ` +
        `the rest ${Number.isFinite(l.busyS) ? `${num(others, 0)} (${num(others / l.wallS, 2)} CPUs on average)` : '(not known here)'}: the sandbox nodes (not the bench's children) and other work on the machine.`,
    );
  }
  if (r.fs) {
    const cost = (c: FsCost | null) =>
      c ? `${num(c.create2000Ms, 0)} ms to create 2000 files of 24 KiB and ${num(c.write300MiBMs, 0)} ms to write 300 MiB` : 'not measured';
    parts.push(
      `The hosts live in one folder${r.fs.spread ? ' whose sub-folders ext4 spreads over its block groups (`chattr +T`)' : ''}, ${num(r.fs.warmedMiB, 0)} MiB were written and deleted there first, and each host is emptied after its round and deleted only at the run's end (bench/lib/machine.ts says why): there it took ${cost(r.fs.start)} at the start of the run, ${cost(r.fs.end)} at its end.`,
    );
  }
  parts.push('Read the ratios first: the two sides of each ran in the same conditions, interleaved.');
  return parts.join(' ');
}

function floorMs(f: Floor, rate: string): number {
  return Math.max(median(f.network[rate]?.ms ?? []), f.best.ms);
}

function endToEndSection(e: EndToEnd): string[] {
  const rows: string[][] = [];
  for (const rate of e.rates.map((x) => x.name)) {
    const rb = e.runbook[rate]!;
    const g = e.glr[rate]!;
    rows.push([`${rate}: the runbook, scripted`, fmt(rb.map((x) => x.toHealthyMs)), fmt(rb.map((x) => x.toHealthyMs)), fmt(rb.map((x) => x.prepareMs)), '']);
    rows.push([
      `${rate}: glr reconcile`,
      fmt(g.map((x) => x.toHealthyMs)),
      fmt(g.map((x) => x.toReturnMs)),
      fmt(g.map((x) => x.prepareMs)),
      ratio(
        g.map((x) => x.toReturnMs),
        rb.map((x) => x.toHealthyMs),
      ),
    ]);
  }
  const steps = (rate: string) => {
    const rb = e.runbook[rate]!;
    return ['download', 'extract', 'setup', 'rest'].map((k) => `${k} ${fmt(rb.map((x) => x.steps[k] ?? NaN))}`).join(', ');
  };
  return [
    '## 1. End to end at real size: glr against the runbook',
    "From the update's start to the new version healthy: the runbook's Phase 1 as bash (`curl -fsS -o`, GNU `tar -xzf --strip-components=1`, GenVM setup, mkdir, the two `cp`, the `sed`, the DB link, the keystore `cp -r`), then Phase 2 (stop, six `ln -sfn`, start) and the harness's health poll (the prober's first healthy answer on v0.4.5); against `glr reconcile`, which returns once it has seen the new version healthy. The two run in alternating order in each round, on fresh hosts.",
    table(['', 'start → healthy on v0.4.5 (prober)', 'start → returned', 'preparation (start → stop)', 'glr / runbook (returned)'], rows),
    ...e.rates.map((x) => `The runbook's Phase 1 steps at ${x.name}: ${steps(x.name)}.`),
    `CPU time of each update, user + system, the commands' children included (GNU time around \`glr reconcile\`; bash's \`times\` in the runbook's scripts), ms: ${e.rates
      .map((x) => {
        const rb = e.runbook[x.name]!;
        const g = e.glr[x.name]!;
        return `at ${x.name}, the runbook's Phase 1 ${fmt(rb.map((y) => y.phase1CpuMs))} and Phase 2 ${fmt(rb.map((y) => y.phase2CpuMs))}, glr reconcile ${fmt(g.map((y) => y.cpuMs))}`;
      })
      .join('; ')}. The node itself (a daemon, not a child) is in neither.`,
    '',
    "Bounded by: the download at the throttled rate (the network), Node's inflate and the tar entries' writes unthrottled, GenVM setup (its configured sleep plus python's start), then the switch (the node's stop, boot and sync). glr's \"returned\" includes its own process exit after the verification.",
  ];
}

/** What held glr's download in this run: the link when it went faster unthrottled, else its own processing. */
function boundedBy(e: EndToEnd): string {
  const [linked, free] = e.rates.map((x) => median(e.glr[x.name]!.map((y) => y.downloadMs)));
  const floorNote = 'The floor leaves out the hashes and the writes, which a pipeline can overlap but not remove.';
  if (linked !== undefined && free !== undefined && free >= 0.9 * linked) {
    return `Bounded by: glr's own processing at both rates in this run, not the link: its download took ${num(free, 0)} ms unthrottled against ${num(linked, 0)} ms at ${e.rates[0]!.name}. The inflate runs on one core; the network, the hashes, the tar parser and the writes on the main thread, on the other; the sandbox's bucket, prober and nodes share both. ${floorNote}`;
  }
  return `Bounded by: the link at the throttled rate; unthrottled, by the CPU: the inflate takes one core whole, and the hashes, the network, the tar writes (and the bucket, the prober and the nodes of the sandbox) share the other. ${floorNote}`;
}

function floorSection(f: Floor, e: EndToEnd): string[] {
  const rows = e.rates.map((x) => {
    const rate = x.name;
    const net = f.network[rate]!;
    const fl = floorMs(f, rate);
    const g = e.glr[rate]!.map((y) => y.downloadMs);
    const rb = e.runbook[rate]!.map((y) => (y.steps.download ?? NaN) + (y.steps.extract ?? NaN));
    return [
      rate,
      `${fmt(net.ms)} (${num(median(net.bps) / MiB, 1)} MiB/s achieved)`,
      num(f.best.ms, 0),
      num(fl, 0),
      fmt(g),
      ratio(g, fl),
      fmt(rb),
      ratio(rb, fl),
    ];
  });
  const cpuRows = e.rates.map((x) => {
    const g = e.glr[x.name]!.map((y) => y.downloadCpuMs);
    const rb = e.runbook[x.name]!.map((y) => (y.cpu.download ?? NaN) + (y.cpu.extract ?? NaN));
    return [x.name, fmt(g), fmt(rb), ratio(g, rb)];
  });
  return [
    '## 2. Download + extract against the physical floor',
    `A streamed download + extract cannot beat the slower of the network and the inflate: the network is \`curl -o /dev/null\` from the same bucket at the same rate (its own \`time_total\`, ${f.network[e.rates[0]!.name]?.ms.length ?? 0} runs; this also checks the throttle), the inflate is Node's zlib gunzipping the same ${mb(f.tarballBytes)} MB tarball from memory (${mb(f.unpackedBytes)} MB out, output discarded) at its best chunk size. glr's figure is its log's \`download\` action (download, hashes, gunzip, tar policy, writes, the rename into place); the runbook's is its curl + tar steps.`,
    table(
      [
        'rate',
        'network (curl to /dev/null)',
        'inflate (Node, best chunk)',
        'floor = max',
        'glr download action',
        'glr / floor',
        'runbook curl + tar',
        'runbook / floor',
      ],
      rows,
    ),
    `Node's inflate of the tarball by chunk size: ${f.inflate.map((x) => `${x.chunk / 1024} KiB ${fmt(x.ms)}`).join('; ')} ms (best: ${f.best.chunk / 1024} KiB).`,
    "Between the floor and glr: what a streamed pipeline pays before any of glr's own work, in the bench's process at normal priority: the body read from the same bucket over HTTP (undici, as glr reads it) and inflated as it arrives (1 MiB batches and chunks, as glr's), its output discarded; then the same with the output written to one file. No hashes, no tar parsing, no files of the release's count and sizes.",
    table(
      ['rate', 'network + inflate', '/ floor', '+ one file written', '/ floor', 'glr download action', '/ floor'],
      e.rates.map((x) => {
        const p = f.pipelines?.[x.name];
        const fl = floorMs(f, x.name);
        const g = e.glr[x.name]!.map((y) => y.downloadMs);
        return p
          ? [x.name, fmt(p.inflate), ratio(p.inflate, fl), fmt(p.write), ratio(p.write, fl), fmt(g), ratio(g, fl)]
          : [x.name, '—', '', '—', '', fmt(g), ratio(g, fl)];
      }),
    ),
    "The CPU time each spent on it, user + system (ms): glr's own for its download action (every thread of its process: network, hashes, inflate, writes; from its log), the runbook's curl and tar steps with their children (tar runs gzip).",
    table(['rate', 'glr download action CPU', 'runbook curl + tar CPU', 'glr / runbook'], cpuRows),
    '',
    boundedBy(e),
  ];
}

function memorySection(m: Memory, e: EndToEnd, r: Results): string[] {
  const rows: string[][] = [];
  for (const rate of e.rates.map((x) => x.name)) {
    rows.push([
      `${mib(r.o.midBytes)} MiB (${r.tarballs ? mb(r.tarballs.mid) : '?'} MB tarball)`,
      rate,
      fmt((m.mid[rate] ?? []).map(MB)),
      String(m.mid[rate]?.length ?? 0),
    ]);
    rows.push([
      `${mib(r.o.bigBytes)} MiB (${r.tarballs ? mb(r.tarballs.big) : '?'} MB tarball)`,
      rate,
      fmt(e.glr[rate]!.map((x) => MB(x.peakRssKb))),
      String(e.glr[rate]!.length),
    ]);
  }
  return [
    '## 3. Peak RSS of a whole `glr reconcile`',
    "GNU time's `%M` around the whole command, in MB (10⁶ bytes). The real-size runs are the end-to-end rounds'; the smaller release runs on fresh hosts at the same rates.",
    table(['release', 'rate', 'peak RSS (MB)', 'runs'], rows),
    '',
    "Bounded by: Node's own baseline (see `node -e 0` in section 7), the modules loaded, and the buffers in flight between the network, the hashes, gunzip and the writes (unthrottled, the socket can deliver faster than the writes drain).",
  ];
}

function latencyRow(name: string, f: LatencyFigure, idle: LatencyFigure): string[] {
  return [name, String(f.n), num(f.p50, 1), num(f.p99, 1), num(f.max, 1), String(f.unanswered), num(f.p99 / idle.p99, 2)];
}

function latencySection(l: HealthLatency): string[] {
  const rows = [latencyRow('idle (before each update)', l.idle, l.idle)];
  for (const rate of Object.keys(l.glr)) {
    rows.push(latencyRow(`during glr's preparation, ${rate}`, l.glr[rate]!, l.idle));
    rows.push(latencyRow(`during the runbook's Phase 1, ${rate}`, l.runbook[rate]!, l.idle));
  }
  return [
    "## 4. The old node's /health latency while it keeps validating",
    `Each request's latency as the outside prober measured it (connect + answer; a request every ${PROBE_EVERY_MS} ms), pooled over the rounds: idle is the second before each update, the preparation runs from the update's start to its stop (glr's log: the \`stop\` action; the runbook: Phase 2's start).`,
    table(['', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'unanswered', 'p99 / idle p99'], rows),
    '',
    "Bounded by: the two cores shared by the node, the prober, the bucket (in the bench's process), the preparation and other work on the machine; the prober's own scheduling is in every figure alike.",
  ];
}

function downtimeSection(d: Downtime): string[] {
  const rows = d.rounds.map((x, i) => [
    String(i + 1),
    x.rate,
    num(x.prober, 0),
    num(x.reported, 0),
    num(x.history, 0),
    num(x.delta, 0),
    num(x.floor, 0),
    x.ends,
  ]);
  const runbook = Object.entries(d.runbook)
    .map(([rate, xs]) => `${rate} ${fmt(xs)}`)
    .join('; ');
  return [
    '## 5. Downtime, honestly',
    `The prober's longest stretch without a healthy answer through each glr update (the old version's last healthy answer → the new one's first), beside what glr reports: \`downtimeMs\` in its \`--json\` result and in the last line of \`{root}/.glr/history.jsonl\` (the old node's last healthy answer, seen by glr's own watch on /health while the stop runs, → the new one's first). The floor: on the same host just after, the node's own stop + start of the same version (the service script, as glr runs it), seen by the same prober.`,
    table(['round', 'rate', 'prober (ms)', 'glr --json', 'history.jsonl', 'Δ = glr − prober', 'floor: own restart (prober)', "the gap's ends"], rows),
    `Medians: glr ${num(median(d.rounds.map((x) => x.prober)), 0)} ms, the floor ${num(median(d.rounds.map((x) => x.floor)), 0)} ms (glr / floor ${ratio(
      d.rounds.map((x) => x.prober),
      d.rounds.map((x) => x.floor),
    )}); the runbook's downtime as the prober saw it: ${runbook} ms.`,
    windowNote(d),
    '',
    `Bounded by: the node's stop, boot and sync (the floor); the prober's resolution is ${PROBE_EVERY_MS} ms at each end of the gap, glr's log and history are to the millisecond.`,
  ];
}

function windowNote(d: Downtime): string {
  const m = (k: keyof Downtime['window'][number]) => fmt(d.window.map((x) => x[k]));
  return (
    `Inside glr's switch window (its log; medians and ranges over the rounds): stop with its confirmation and journal write ${m('stop')}, the swap of \`current\` ${m('swap')}, start ${m('start')}; the whole window ${m('glr')}. ` +
    `The floor's own commands: stop ${m('floorStop')}, start ${m('floorStart')}. ` +
    `Δ has two parts. At its start: glr counts from the old node's last healthy answer its own watch saw (a request every 20 ms, the prober's every 10 ms); the old node still answered healthy for ${m('stopLead')} ms after the stop was issued (the service command's own start, then the node's orderly stop), which neither side counts as downtime. At its end: glr logged the new version healthy ${m('verifyLag')} ms after the prober's first healthy answer.`
  );
}

function dieSection(d: DieRound[]): string[] {
  const f = (k: keyof DieRound) => fmt(d.map((x) => x[k] as number));
  return [
    '## 6. A release that dies on start',
    `\`glr reconcile\` to a release whose node exits right after it starts (small releases: this is about verify and rollback), ${d.length} fresh host(s), exit codes ${[...new Set(d.map((x) => x.exitCode))].join(', ')}. All from the moment glr issued the start (its log's \`start\` action):`,
    table(
      ['the node died (its own log)', 'glr saw it dead (its first warning/error)', 'the old version healthy again (prober)', 'glr returned'],
      [[f('diedMs'), f('seenDeadMs'), f('oldHealthyMs'), f('returnedMs')]],
    ),
    '',
    "Bounded by: the node's own start (a Node process here) and its death; then how often glr asks the service whether it still runs; then the old version's stop-free restart (boot + sync).",
  ];
}

function noopSection(n: Noop): string[] {
  const rows = Object.entries(n.commands).map(([name, c]) => [
    name,
    num(median(c.ms), 0),
    num(max(c.ms), 0),
    num(MB(median(c.rssKb)), 0),
    num(MB(max(c.rssKb)), 0),
    [...new Set(c.codes)].join(', '),
  ]);
  const base = n.commands['node -e 0'];
  const loaded = Object.entries(n.loaded).sort((a, b) => b[1].bytes - a[1].bytes);
  const totalBytes = loaded.reduce((s, [, v]) => s + v.bytes, 0);
  const prof = Object.entries(n.profile.byPlace)
    .sort((a, b) => b[1] - a[1])
    .filter(([, ms]) => ms >= 0.5);
  return [
    '## 7. What a no-op costs',
    `On a converged host (one glr itself updated), ${n.runs} runs of each command, interleaved; wall time from spawn to exit, peak RSS by GNU time.`,
    table(['command', 'wall median (ms)', 'wall max (ms)', 'peak RSS median (MB)', 'peak RSS max (MB)', 'exit codes'], rows),
    '',
    `### Where a no-op's time and memory go`,
    `What one no-op \`glr reconcile\` loads, by package (every module file, ES and CommonJS): ${loaded.length} places, ${mb(totalBytes, 2)} MB of JavaScript.`,
    table(
      ['place', 'files', 'KB'],
      [
        ...loaded.slice(0, 20).map(([k, v]) => [k, String(v.files), num(v.bytes / 1000, 0)]),
        ...(loaded.length > 20
          ? [
              [
                `${loaded.length - 20} more places`,
                String(loaded.slice(20).reduce((a, [, v]) => a + v.files, 0)),
                num(loaded.slice(20).reduce((a, [, v]) => a + v.bytes, 0) / 1000, 0),
              ],
            ]
          : []),
      ],
    ),
    '',
    `Each dependency imported alone in a fresh \`node\` (median of a few runs): the import's ms inside the process, and its peak RSS above \`node -e 0\` (${base ? num(MB(median(base.rssKb)), 0) : '?'} MB).`,
    table(
      ['import', 'ms', 'RSS above node -e 0 (MB)'],
      [
        ...n.imports.map((x) => [x.name, num(x.ms, 1), num(MB(x.rssKb), 1)]),
        ['glr: dist/src/cli/commands/reconcile.js (its whole static graph)', num(n.reconcileModule.ms, 1), num(MB(n.reconcileModule.rssKb), 1)],
      ],
    ),
    '',
    `A CPU profile of the no-op (\`node --cpu-prof\`, 0.2 ms samples, median of ${n.profile.runs} runs; the profile spans ${num(n.profile.spanMs, 0)} ms of the process's life, Node's own start before it). ` +
      `Each sample counts for its innermost frame that says what the work is for: Node's module loader (resolving, reading, compiling any module: the cost of loading it), or a package's or glr's own code (its modules' top-level evaluation included); natives and Node's other built-ins count for whoever called them. "(idle)" is waiting (on the status command, /health, files), "(program)" V8's own work.`,
    table(
      ['place', 'ms'],
      prof.map(([k, ms]) => [k, num(ms, 1)]),
    ),
    '',
    "Bounded by: Node's own start (`node -e 0`), then reading and compiling the modules the command loads, then the pass: the status command (a process), one /health request, reading the host's files.",
  ];
}

function pageCacheSection(p: PageCache): string[] {
  const reads = p.nodeReadBytes / p.releaseBytes;
  const readsNote =
    reads >= 0.5
      ? `The node read ${mb(p.nodeReadBytes)} MB by the time it was healthy (the release's files are ${mb(p.releaseBytes)} MB): it reads its release at start.`
      : `The node read only ${mb(p.nodeReadBytes)} MB by the time it was healthy (the release's files are ${mb(p.releaseBytes)} MB): the fake node in this tree does not read its release files at start, so cold and warm can only differ by noise here; the measurement stands as it is for the fake node that does.`;
  return [
    '## 8. Page cache: a start with its files cold or warm',
    `On a host glr updated to the real-size release, the node is stopped and started again, its version folder either read once just before the start (warm) or evicted (\`sync; echo 3 > /proc/sys/vm/drop_caches\`, after which the Node runtime and the sandbox's scripts are read back in, so only the release is cold). Start issued → first healthy answer (prober), alternating, ${p.warm.length} of each:`,
    table(
      ['', 'start → healthy (ms)'],
      [
        ['cold', p.cold ? fmt(p.cold) : 'not measured (the page cache could not be dropped: not root?)'],
        ['warm', fmt(p.warm)],
        ['cold − warm (medians)', p.cold ? num(median(p.cold) - median(p.warm), 0) : '—'],
      ],
    ),
    readsNote,
    '',
    "Bounded by: the disk's read rate for a cold start; the node's boot and sync otherwise.",
  ];
}

function watchSection(w: Watch): string[] {
  return [
    '## 9. glr watch: from a save to the pass',
    `${w.toPass.length} saves (a temporary file renamed over desired-state.yaml) on a converged host: save → "pass started" ${fmt(w.toPass)} ms. ` +
      `From a save that asks for a new version to the first action of the apply (the pass has observed the host and made its plan), ${w.toAction.length} fresh host(s): ${fmt(w.toAction)} ms.`,
    '',
    "Bounded by: the watcher's debounce (it waits for the file to be quiet before a pass, as editors write in several steps), then observing the host.",
  ];
}
